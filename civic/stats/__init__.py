"""Statistics for managers: friends, blocks, activity, chatbot use, rich-menu taps (国富町 §9(2)(ウ)⑦)."""
