"""Models of the sales app; each part (leads, opportunities, …) keeps its own module."""
