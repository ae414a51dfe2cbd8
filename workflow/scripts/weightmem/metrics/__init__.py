"""Metrics: weight-space distances (weights), behaviour (behaviour); shapes live in shapes."""
