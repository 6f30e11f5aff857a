"""One router per concern; :func:`unspin.server.app.create_app` includes them."""
