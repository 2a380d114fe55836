"""おすすめ: services recommended on the my-page from a citizen's registered attributes and dates,
defined by staff as rules whose condition is a segment filter (``civic.segments.filters``)."""
