"""The ``ristra`` command line: parse arguments, call a service, render its value."""
