"""Django adapters: views, cache and optimistic mixins, model components."""
