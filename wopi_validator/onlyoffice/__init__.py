"""The ONLYOFFICE Docs API area (not WOPI): the editor config an integration renders, and its callback handler.

* ``settings``   options (CLI > WOPI_OO_* environment > the ``[onlyoffice]`` table) and the run's preflight
* ``source``     the config source: a URL answering JSON, a ``cmd:`` command printing JSON, or an editor page
* ``jwt_checks`` decoding and judging tokens (PyJWT for HS256; weak keys tried by hand)
* ``docserver``  the Document Server we play: it serves "edited" files at signed, expiring URLs
* ``callbacks``  callback bodies and tokens signed the way the Document Server signs them
* ``harness``    what a test uses: fresh configs, stored bytes, callbacks sent and judged
* ``fixtures``   the pytest fixtures of the area
"""
