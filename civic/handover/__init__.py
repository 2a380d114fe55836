"""Hand-over to a person (有人チャット, issue #17): a citizen's conversation answered by staff."""
