"""Layer 5, cli: the ``suggest`` and ``massage-rules`` commands; nothing imports this layer."""
