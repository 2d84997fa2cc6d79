"""Optional dependencies (the extras of ``pyproject.toml``), imported when first needed."""

from importlib import import_module


def import_optional(name, purpose, extra):
    """Import the module ``name``, or raise an ImportError that says how to install it.

    Parameters
    ----------
    name : str
        The module, e.g. ``"matplotlib.pyplot"``.
    purpose : str
        What needs it, the start of the message: ``"kmlab.plotting needs matplotlib"``.
    extra : str
        The kmlab extra that installs it: ``"plot"`` for ``pip install "kmlab[plot]"``.

    Returns
    -------
    module : module
        The imported module.

    Raises
    ------
    ImportError
        ``'<purpose> (<name> is missing): pip install "kmlab[<extra>]"'``, from the original error.

    Examples
    --------
    >>> from kmlab._optional import import_optional
    >>> import_optional("math", "this example needs math", "all").sqrt(4.0)
    2.0
    >>> import_optional("no_such_module", "this example needs no_such_module", "all")
    Traceback (most recent call last):
    ...
    ImportError: this example needs no_such_module (no_such_module is missing): pip install "kmlab[all]"
    """
    try:
        return import_module(name)
    except ImportError as exc:
        raise ImportError(f'{purpose} ({name} is missing): pip install "kmlab[{extra}]"') from exc
