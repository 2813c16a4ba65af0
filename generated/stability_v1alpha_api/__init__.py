"""A client library for accessing Stability.ai REST API (v1alpha generation)"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
