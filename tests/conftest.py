import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import pytest
import torch

import minitorch


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    minitorch.manual_seed(0)
    yield


def pytest_addoption(parser):
    parser.addoption("--fuzz-long", action="store_true", default=False,
                     help="run thousands of differential-fuzzing examples (tests/test_fuzz.py)")


@pytest.fixture
def fuzz_long(request):
    return request.config.getoption("--fuzz-long")
