"""Citizen attributes (年代, 居住地区, 関心分野, 子どもの生年月日 …) and the forms that collect them.

国富町 spec §9(2)(ア) ①②④⑤⑦: citizens choose what they receive through forms; staff define
attributes and forms, and can view and correct a citizen's settings.
"""
