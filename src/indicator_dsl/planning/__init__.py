"""Gap plans: what-if re-scoring, the points a record lost, the distance to the next grade, the smallest recovery."""
