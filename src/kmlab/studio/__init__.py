"""kmlab Studio: the local web app (server, API, pages, code runner)."""
