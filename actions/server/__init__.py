"""rasa_sdk actions (one per module), served by `prakerja actions serve`."""
