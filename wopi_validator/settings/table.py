"""The settings table: every setting of a run, once, with each name it has in each interface.

A setting is set on the ``wopi-validator`` command line (``--<flag>``), on the pytest command line
(``--wopi-<flag>``), in the pytest ini file (``wopi_<key>``), in a ``WOPI_*`` environment variable and in the
TOML config file, where the table says it has those. The CLI parser, the pytest options, the environment and
config-file readers, the README's configuration table and the option names in messages are all made from it.

A help text may name another setting as ``{key}``: it is rendered as that setting's option in the interface whose
help it is (``{provider}`` is ``--provider`` in the CLI, ``--wopi-provider`` in pytest).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import wopi_validator.settings.values as values
from wopi_validator.hypothesis_profiles import DEFAULT_PROFILE as DEFAULT_HYPOTHESIS_PROFILE
from wopi_validator.hypothesis_profiles import PROFILE_NAMES as HYPOTHESIS_PROFILES
from wopi_validator.judging.rules import PROFILES
from wopi_validator.settings.values import Converter
from wopi_validator.wopi.client import DEFAULT_MAX_BODY, DEFAULT_TIMEOUT

Kind = Literal["value", "flag", "list", "choice"]
"""``value``: one value (``--x VALUE``); ``flag``: on when given (``--x``); ``list``: repeatable (``--x A --x B``),
a TOML or ini list, space-separated in a variable; ``choice``: one of ``choices``."""


@dataclass(frozen=True)
class Group:
    """Where a setting is listed: its CLI argument group and its pytest option group."""

    cli_title: str
    pytest_name: str
    pytest_title: str


_PYTEST_GROUP = ("wopi-validator", "WOPI host conformance (wopi-validator)")
GROUPS: dict[str, Group] = {
    "target": Group("target (CLI > WOPI_* environment variables > config file)", *_PYTEST_GROUP),
    "run": Group("run", *_PYTEST_GROUP),
    "tests": Group("model-based tests, races and load", *_PYTEST_GROUP),
    "onlyoffice": Group(
        "ONLYOFFICE Docs API integrations (CLI > WOPI_OO_* environment variables > [onlyoffice] in the config file; "
        "without them the area runs against the bundled host, or is skipped with --target)",
        "wopi-validator-onlyoffice", "ONLYOFFICE Docs API integrations (wopi-validator)"),
}


@dataclass(frozen=True)
class Setting:
    """One setting and its names. Only ``key``, ``help`` and ``group`` are required; the rest says which
    interfaces besides the two command lines and the ini file expose it, and how its values are read."""

    key: str
    """The name: the CLI's argparse dest; ``wopi_<key>`` is the pytest dest and the ini key."""
    help: str
    group: str
    """A key of :data:`GROUPS`."""
    kind: Kind = "value"
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    default: Any = None
    """The value when no source gives one."""
    flag: str | None = None
    """The options' stem when it is not the key's (``extra-seed`` for ``extra_seeds``): ``--<flag>`` in the CLI,
    ``--wopi-<flag>`` in pytest."""
    env: str | None = None
    """The ``WOPI_*`` environment variable, when there is one."""
    toml: str | None = None
    """The key in the config file, when there is one: at the top (or under ``[wopi]``), or in ``table``."""
    table: str | None = None
    convert: Converter = values.text
    """Checks a raw value from any source; a UsageError names the setting."""
    typed: bool = False
    """The command lines parse the value with ``convert`` (argparse ``type``), not later."""
    secret: bool = False
    """Its value is a random secret that may begin with ``-``: the CLI takes the next word as its value."""
    if_empty: str = ""
    """When set, an empty value is a usage error (an unset CI variable, not a choice); this is what to give."""
    cli_metavar: str | None = None
    cli_help: str = ""
    """What only the CLI does with the setting: in parentheses after ``help`` in the CLI's help."""

    @property
    def stem(self) -> str:
        return self.flag or self.key.replace("_", "-")

    @property
    def cli_flag(self) -> str:
        return f"--{self.stem}"

    @property
    def pytest_flag(self) -> str:
        return f"--wopi-{self.stem}"

    @property
    def dest(self) -> str:
        """The pytest option's dest (``config.getoption(dest)``)."""
        return f"wopi_{self.key}"

    @property
    def ini(self) -> str:
        return f"wopi_{self.key}"

    @property
    def parser_default(self) -> Any:
        """The pytest option's default: None where an environment variable or the config file can give the
        setting (an option not given must read as absent, so the next source is asked), and for lists; else the
        setting's default (False for a flag)."""
        if self.env or self.toml or self.kind == "list":
            return None
        return bool(self.default) if self.kind == "flag" else self.default


def _target(key: str, help: str, **more: Any) -> Setting:
    """A setting of the host under test read from every source: ``WOPI_<KEY>`` and ``<key>`` in the file."""
    return Setting(key, help, more.pop("group", "target"), env=f"WOPI_{key.upper()}", toml=key, **more)


def _onlyoffice(key: str, help: str, **more: Any) -> Setting:
    """A setting of the ONLYOFFICE Docs API area: ``--oo-<key>``, ``WOPI_OO_<KEY>``, ``[onlyoffice] <key>``."""
    return Setting(f"oo_{key}", help, "onlyoffice", env=f"WOPI_OO_{key.upper()}", toml=key, table="onlyoffice",
                   **more)


SETTINGS: tuple[Setting, ...] = (
    # -- the host under test
    _target("target", "WOPISrc of the seed test file, e.g. https://host/wopi/files/ID; an access_token query "
            "parameter in it is used as the token", metavar="WOPISRC", cli_metavar="WOPISRC|FILE.toml",
            cli_help="also takes a TOML config file", if_empty="the WOPISrc of the seed file"),
    _target("token", "access token for the seed file", metavar="TOKEN", secret=True,
            if_empty="the seed file's access token"),
    _target("token_ttl", "access_token_ttl the host issued with the token: ms since the epoch (0 = unknown)",
            metavar="MS", default=0, convert=values.whole_number("token_ttl", 0)),
    Setting("config", "TOML config file with these settings", "target", metavar="FILE", env="WOPI_CONFIG",
            if_empty="the path of a TOML config file"),
    _target("max_put_size", "the host's PutFile size limit; enables PUTFILE.TOOLARGE.413", metavar="BYTES",
            convert=values.whole_number("max_put_size", 1)),
    _target("lock_ttl", "the host's lock expiry; enables LOCK.EXPIRY (the test waits that long)",
            metavar="SECONDS", convert=values.positive_seconds("lock_ttl")),
    _target("coauth_min_timeout", "the shortest coauth lock timeout the host accepts (the COAUTH.LOCK.BAD.400 range "
            "tests send one second less; 60, as the CSPP Plus docs say, when not given); enables COAUTH.LOCK.EXPIRY "
            "(the test waits that long)", metavar="SECONDS",
            convert=values.whole_number("coauth_min_timeout", 1, 3600)),
    _target("allow_seed_writes", "let tests write to the seed file when the host cannot create files (its bytes "
            "are restored)", kind="flag", default=False, convert=values.boolean("allow_seed_writes")),
    _target("extra_seeds", "another file of yours tests may lock and write when the host cannot create files "
            "(repeatable; naming it is your consent to writes on it: its bytes are journaled and restored, its "
            "locks removed, and it is never renamed or deleted); append ?access_token=... unless {provider} can "
            "issue one", kind="list", flag="extra-seed", metavar="WOPISRC", default=(), convert=values.extra_seeds),
    _target("provider", "where tokens come from: a provider type (static, reference, http, command, ...) or a TOML "
            "file with a [provider] table; it issues the seed's token when {token} is not given (default: the "
            "provider of {config}, else the static {token})", metavar="TYPE|FILE.toml",
            if_empty="a provider type or the path of a provider TOML file"),
    _target("proof_keys", "proof keys the host trusts (`wopi-validator keys generate DIR`): every request is signed "
            "and the proof-key tests run; in a config file, relative to the file", metavar="DIR",
            if_empty="the folder of the proof keys"),
    # -- the run
    Setting("reference", "start the bundled reference host on 127.0.0.1 and validate it", "run", kind="flag",
            default=False, convert=values.boolean("reference"), cli_help="the default without --target"),
    Setting("fault", "reference host only: switch on a named fault (repeatable; `wopi-validator faults` lists them)",
            "run", kind="list", metavar="NAME", convert=values.words),
    _target("profile", "which client's reading of the spec to apply (default generic)", group="run", kind="choice",
            choices=PROFILES, default="generic", convert=values.one_of("profile", PROFILES)),
    _target("strict", "fail SHOULD rules instead of warning", group="run", kind="flag", default=False,
            convert=values.boolean("strict")),
    Setting("rules", "run only the tests of rules matching these comma-separated patterns, e.g. "
            "'LOCK.*,PUTFILE.*'", "run", metavar="PATTERNS"),
    Setting("workers", "test processes of the wopi-validator command (pytest-xdist workers): auto (the default: "
            "2 per CPU, at most 4, for the whole suite against a host of your own; else serial), N, or 0 for a "
            "serial run; a run workers could break ({allow_seed_writes}, {extra_seeds}, {load}, the ONLYOFFICE "
            "area, your own -n after --) is serial whatever this says; a pytest run of your own takes xdist's -n",
            "run", metavar="N|auto|0", default="auto"),
    _target("timeout", "connect timeout and time allowed for each whole answer (default 10, at most 3600)",
            group="run", metavar="SECONDS", default=DEFAULT_TIMEOUT,
            convert=values.positive_seconds("timeout", values.MAX_TIMEOUT)),
    _target("run_deadline", "seconds the whole run may take (default: no limit)", group="run", metavar="SECONDS",
            convert=values.positive_seconds("run_deadline")),
    _target("max_body", "most bytes read from any response (default 32 MiB)", group="run", metavar="BYTES",
            default=DEFAULT_MAX_BODY, convert=values.whole_number("max_body", 1024)),
    Setting("expected", "expected-failures file (one test ID per line): known failures do not fail the run", "run",
            metavar="FILE"),
    Setting("summary", "write summary.json here", "run", metavar="PATH",
            cli_help="the --reports folder's summary.json by default"),
    Setting("ledger", "record the files the run creates here until they are deleted (default: a "
            "ledger-*.jsonl file named after the run, beside {summary})", "run", metavar="PATH"),
    # -- the model-based tests, the races and the load test
    Setting("hypothesis_profile", "how long the stateful (Hypothesis) tests search: ci (default: fixed sequences, "
            "a 10 s budget after 50), dev (30 s) or thorough (no time limit); Hypothesis' pytest option "
            "--hypothesis-seed N repeats a run", "tests",
            kind="choice", choices=HYPOTHESIS_PROFILES, default=DEFAULT_HYPOTHESIS_PROFILE,
            convert=values.one_of("hypothesis_profile", HYPOTHESIS_PROFILES)),
    Setting("concurrency", "simultaneous requests in the concurrency tests (default 8)", "tests", metavar="N",
            default=8, typed=True, convert=values.whole_number("concurrency", 2)),
    Setting("load", "run the load test (marker load, off by default; -m load selects it too)", "tests",
            kind="flag", default=False, convert=values.boolean("load")),
    Setting("load_editors", "simultaneous editors in the load test (default 32)", "tests", metavar="N", default=32,
            typed=True, convert=values.whole_number("load_editors", 1)),
    Setting("load_seconds", "how long the load test's editors keep cycling (default 10)", "tests",
            metavar="SECONDS", default=10.0, typed=True,
            convert=values.positive_seconds("load_seconds", values.MAX_TIMEOUT)),
    # -- the ONLYOFFICE Docs API area
    _onlyoffice("config_source", "the editor config of the test file: a URL answering JSON, the URL of the editor "
                "page, or cmd:COMMAND printing JSON; without {target} only this area runs",
                metavar="URL|cmd:COMMAND"),
    _onlyoffice("secret", "the JWT secret shared with the Document Server", metavar="SECRET", secret=True),
    _onlyoffice("header", "header of the Document Server's token (default Authorization, value Bearer ...)",
                metavar="NAME", default="Authorization"),
    _onlyoffice("ds_port", "port of the Document Server the suite plays on 127.0.0.1 (default: any free port)",
                metavar="PORT", default=0, convert=values.whole_number("ds_port", 0, 65535)),
    _onlyoffice("download_jwt", "the integration checks the Document Server's token on document.url downloads",
                kind="flag", default=False, convert=values.boolean("download_jwt")),
    _onlyoffice("sign_endpoint", "URL of an endpoint of the integration that signs an editor config a client POSTs "
                "({{key}} in it: the document.key); the suite posts a config with injected permissions and user "
                "and fails OO.JWT.NOORACLE when they come back signed", metavar="URL"),
)



def _names(setting: Setting) -> set[str]:
    return {setting.key, setting.stem, setting.cli_flag, setting.pytest_flag, setting.dest}


BY_KEY: dict[str, Setting] = {setting.key: setting for setting in SETTINGS}
_BY_NAME: dict[str, Setting] = {name: setting for setting in SETTINGS for name in _names(setting)}
assert len(_BY_NAME) == sum(len(_names(setting)) for setting in SETTINGS), "two settings share a name"


def find(name: str) -> Setting:
    """The setting of any of its names: key (``extra_seeds``), stem (``extra-seed``), either option, pytest dest.

    A KeyError for a name that is no setting's: a message must not name an option that does not exist."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no setting is named {name!r}") from None


def in_table(table: str | None) -> tuple[Setting, ...]:
    """The settings read from one table of the config file (None: the top level, or ``[wopi]``)."""
    return tuple(setting for setting in SETTINGS if setting.toml and setting.table == table)
