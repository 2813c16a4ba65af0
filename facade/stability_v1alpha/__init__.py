"""Python client for the Stability.ai v1alpha image generation API."""
