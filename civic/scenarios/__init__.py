"""Staff-authored scenario trees with a draft and a published version."""
