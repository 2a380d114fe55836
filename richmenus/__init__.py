"""Rich menus: specs and validation, image rendering, tabs through aliases, publishing to LINE accounts."""
