"""The staff pages of oversight (/oversight/): groups, liaison, draws, visits; and the public
notices (/notice/). Thin: a selector, an action, a render."""
