"""An editor's request cut off when the run stops (Locust ends its users mid-request) is still in the file's history:
the save it may have made is not reported as "bytes no save wrote" (seen in a 200-editor, 30 s run: 2 false lost
saves)."""

from __future__ import annotations

import random

import pytest

from wopi_validator.load import history
from wopi_validator.load.editor import EditorSession, LoadFile
from wopi_validator.load.history import FileHistory, Op
from wopi_validator.load.profiles import PROFILES

FIRST = b"first content\n"


class RunStopped(BaseException):
    """As gevent's GreenletExit: not an Exception, raised inside the request."""


class CutOffClient:
    token = ""

    def put_file(self, body: bytes, lock: str | None = None) -> None:
        raise RunStopped


def test_a_save_cut_off_by_the_end_of_the_run_may_have_landed() -> None:
    record = FileHistory("load.wopitest", FIRST, 0.0)
    file = LoadFile("load.wopitest", "http://127.0.0.1:1/wopi/files/f", "token", record)
    editor = EditorSession("editor-1", file, CutOffClient(), next(iter(PROFILES.values())), "run",  # type: ignore[arg-type]
                           emit=lambda outcome: None, rng=random.Random(1), clock=iter([1.0, 2.0]).__next__)
    with pytest.raises(RunStopped):
        editor._send(history.PUT, "L", b"a save that reached the host")
    assert [op.content for op in file.history.ops] == [b"a save that reached the host"]
    final = Op(history.GET, "final check", 3.0, received=3.1, status=200, content=b"a save that reached the host")
    assert file.history.analyse(final) == []
