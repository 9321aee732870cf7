"""Report intake: read, identify, validate and store what member units send."""
