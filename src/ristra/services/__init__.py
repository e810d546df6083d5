"""Use cases: validate, import, roll back, compute, release, report. Front ends (CLI, web,
API) call these and render the values they return; nothing here parses arguments or
prints."""
