"""Staff accounts, roles with per-feature permissions, sessions and the operation log (国富町 §9(2)(ウ)⑤⑥)."""
