"""Segments: who gets a delivery or a rich menu, as a filter tree over citizens' attributes
(国富町 §9(2)(ア)①), compiled to SQL that stays fast at 50,000+ citizens."""
