"""Kubernetes manifests: safe loading, typed objects, NetworkPolicy connectivity and exposure facts."""
