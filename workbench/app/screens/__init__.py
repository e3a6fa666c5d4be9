"""One screen per step of the flow; the app switches between them as modes."""
