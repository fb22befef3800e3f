"""File names of a saved dual-head model, importable without torch.

Why a module of its own: serving an encoder-free model (`ml.inference`) reads the saved head
weights without loading PyTorch, and importing `ml.model` for a file name would load it anyway.
"""

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
