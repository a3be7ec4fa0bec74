"""The content and name operations as steps of the machine: PutFile, GetFile, CheckFileInfo, PutRelativeFile and
RenameFile, each judged against the model."""

from __future__ import annotations

from wopi_validator.errors import SandboxError
from wopi_validator.modelling.lock_control import LockControl
from wopi_validator.modelling.machine_env import Fresh, describe_lock
from wopi_validator.modelling.model import extension_of
from wopi_validator.wopi.client import WopiResponse


class FileSteps(LockControl):
    """The steps that write, read, copy or rename the file."""

    def do_put_file(self, body: bytes, choice: str, fresh: Fresh) -> None:
        client = self.client
        assert client is not None
        self.presenting(
            self.resolve(choice, fresh), lambda lock: f"PutFile of {len(body)} bytes with {describe_lock(lock)}",
            lambda state, lock, now: self.env.model.put_file(state, body, lock, now),
            lambda lock: client.put_file(body, lock=lock),
        )

    def do_get_file(self) -> None:
        assert self.client is not None and self.state is not None
        with self.step("GetFile"):
            expected = self.env.model.get_file(self.state, self.now())
            response = self.client.get_file()
            self.judge(expected, response, "GetFile")
            self._same_content(response.body, "GETFILE.200", "GetFile")

    def do_check_file_info(self) -> None:
        assert self.client is not None and self.state is not None
        with self.step("CheckFileInfo"):
            expected = self.env.model.check_file_info(self.state, self.now())
            response = self.client.check_file_info()
            self.judge(expected, response, "CheckFileInfo")
            info = self.env.check.json_object(response, "CFI.200.JSON", "CheckFileInfo")
            self.env.check.must(info.get("Size") == self.state.size, "CFI.SIZE.MATCH",
                                f"CheckFileInfo Size is {info.get('Size')!r}; the file holds {self.state.size} bytes",
                                response)

    # -- names --------------------------------------------------------------------------------------

    def do_put_relative_file(self, relative: bool, text: str, body: bytes) -> None:
        assert self.client is not None and self.state is not None
        check = self.env.check
        ext = extension_of(self.state.name) or ".wopitest"
        name = f"wopi-validator-{self.env.target.run_id}-p{next(self.env.names)}-{text}{ext}"
        mode = "X-WOPI-RelativeTarget" if relative else "X-WOPI-SuggestedTarget"
        action = f"PutRelativeFile of {len(body)} bytes with {mode} {name!r}"
        with self.step(action):
            expected = self.env.model.put_relative_file(self.state, self.now())
            response = (self.client.put_relative_file(body, relative=name) if relative
                        else self.client.put_relative_file(body, suggested=name))
            if self.judge(expected, response, action) is None:
                return
            data = check.json_object(response, "PUTREL.URL.USABLE", action)
            returned, url = data.get("Name"), data.get("Url")
            tracked = self.files.track_url(url, returned)  # first: a file made without a Url is found or listed
            check.must(isinstance(returned, str) and isinstance(url, str), "PUTREL.URL.USABLE",
                       f"{action}: Name is {returned!r} and Url is {type(url).__name__}; expected two strings",
                       response)
            if relative:
                check.must(returned == name, "PUTREL.NAME.ENCODING",
                           f"{action}: the new file is named {returned!r}; expected the name exactly as sent", response)
            else:
                check.must(returned.endswith(ext), "PUTREL.SUGGESTED.EXT",
                           f"{action}: the new file is named {returned!r}; expected it to end with {ext!r}", response)
            check.must(tracked is not None, "PUTREL.URL.USABLE",
                       f"{action}: the Url is not an http(s) URL with an access_token", response)
            assert tracked is not None
            created = tracked.client
            info_response = created.check_file_info()
            check.status(info_response, 200, "PUTREL.URL.USABLE", "CheckFileInfo of the new file")
            info = check.json_object(info_response, "PUTREL.URL.USABLE", "CheckFileInfo of the new file")
            check.must(info.get("BaseFileName") == returned, "PUTREL.NAME.ENCODING",
                       f"the new file's BaseFileName is {info.get('BaseFileName')!r}; PutRelativeFile named it "
                       f"{returned!r}", info_response)
            content = created.get_file()
            check.status(content, 200, "PUTREL.URL.USABLE", "GetFile of the new file")
            check.must(content.body == body, "PUTREL.URL.USABLE",
                       f"the new file holds {len(content.body)} bytes; PutRelativeFile sent {len(body)}", content)

    def do_rename_file(self, text: str, choice: str, fresh: Fresh) -> None:
        client = self.client
        assert client is not None
        if not self.may_rename:
            raise SandboxError("refusing to rename a file the run did not make (the seed file)")
        check = self.env.check
        stem = f"wopi-validator-{self.env.target.run_id}-r{next(self.env.names)}-{text}"

        def renamed(response: WopiResponse, action: str) -> None:
            if response.status == 200:
                data = check.json_object(response, "RENAME.OK", action)
                check.must(data.get("Name") == stem, "RENAME.OK",
                           f"{action}: the answer names the file {data.get('Name')!r}; expected {stem!r}", response)
                self.renamed = True

        self.presenting(
            self.resolve(choice, fresh), lambda lock: f"RenameFile to {stem!r} with {describe_lock(lock)}",
            lambda state, lock, now: self.env.model.rename_file(state, stem, lock, now),
            lambda lock: client.rename_file(stem, lock=lock), renamed,
        )
