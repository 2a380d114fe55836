"""FAQ answers given, their feedback, and the questions we could not answer (酒田市 spec 第5章 1(6))."""
