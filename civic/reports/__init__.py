"""Road-damage reports (酒田市 spec 第5章 1(6))."""
