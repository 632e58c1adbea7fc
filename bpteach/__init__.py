"""bpteach: back-propagation derived on a five-layer network, every step checked by code.

Layer numbers are the derivation's (1 = input, n_l = output) and `W[l][i, j]`
is W^{(l)}_{i<-j}: destination row, source column, 0-based positions.
"""

from .activations import ACTIVATIONS, Activation, get_activation, identity, relu, sigmoid, tanh
from .checks import LayerIndexError
from .gradcheck import numerical_gradient, relative_error
from .layers import Gradients, Layers, Trace
from .network import Network
from .paths import PathSum, PathTerm, path_sum, path_terms

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "Gradients",
    "LayerIndexError",
    "Layers",
    "Network",
    "PathSum",
    "PathTerm",
    "Trace",
    "get_activation",
    "identity",
    "numerical_gradient",
    "path_sum",
    "path_terms",
    "relative_error",
    "relu",
    "sigmoid",
    "tanh",
]

__version__ = "0.1.0"
