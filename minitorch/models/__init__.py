"""Model definitions with torchvision's layouts (``minitorch.models`` as ``torchvision.models``):
module names and ``state_dict`` keys match torchvision exactly, so a torchvision checkpoint saved
as safetensors loads with ``model.load_state_dict(minitorch.load(path))``."""
from .resnet import (
                     BasicBlock,
                     Bottleneck,
                     ResNet,
                     resnet18,
                     resnet34,
                     resnet50,
                     resnet101,
                     resnet152,
                     resnet_small,
)

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50", "resnet101",
           "resnet152", "resnet_small"]
