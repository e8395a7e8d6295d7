"""Development tools (not part of the runtime package): the GPU compile audit, torchvision
for the comparisons."""
