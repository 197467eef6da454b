"""Bundles shipped with the library: the reference layout the checker is judged against, and the Anbox docs' layouts."""
