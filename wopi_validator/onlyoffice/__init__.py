"""The ONLYOFFICE Docs API area (not WOPI): the editor config an integration renders, and its callback handler.

* ``settings``   options (CLI > WOPI_OO_* environment > the ``[onlyoffice]`` table) and the run's preflight
* ``source``     the config source: a URL answering JSON, a ``cmd:`` command printing JSON, or an editor page
* ``jwt_checks`` decoding and judging tokens (PyJWT for HS256; weak keys tried by hand)
* ``jsliteral``  reading a config and the editor methods' payloads out of an editor page's script
* ``docserver``  the Document Server we play: it serves "edited" files and form data at signed, expiring URLs
                 and receives the integration's command-service requests
* ``callbacks``  callback bodies and tokens signed and shaped the way the Document Server sends them
* ``commands``   command-service requests: their tokens, and what they must sign
* ``oracle``     probing an endpoint that would sign a config a client sends (OO.JWT.NOORACLE)
* ``harness``    what a test uses: fresh configs, stored bytes, callbacks sent and judged
* ``stored``     what the run's callbacks made the integration store, listed as leftovers
* ``fixtures``   the pytest fixtures of the area
"""
