"""`fsctl charts`: the pinned charts' vendored data, and what is derived from their templates."""
