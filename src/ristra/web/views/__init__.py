"""Page views, one module per kind of page. Each parses input, calls a service and renders the
value it returns; the API (:mod:`ristra.web.api`) renders the same values as JSON."""
