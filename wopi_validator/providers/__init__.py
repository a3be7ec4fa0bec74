"""The built-in token providers (the interface is :mod:`wopi_validator.tokens`).

* ``static``     the token given on the command line or in the config file
* ``command``    a user command that prints JSON
* ``http``       a host's session API, described by request templates
* ``reference``  the bundled reference host, driven in-process
"""
