"""Learning: the SegFormer model, training data, augmentation, losses, metrics, training, inference.

Modules here import torch lazily or at their top; nothing outside `learn` needs torch to import.
"""
