"""What a server process does once the app is loaded, before it serves."""

import gc


def settle() -> None:
    """Put everything loaded so far (Django, the URL conf, templates, catalogues) out of the
    garbage collector's reach. Left in, each full collection scanned it all again: 48-68 ms
    added to one dashboard request in twenty at 10 M values, against 3-5 ms once frozen."""
    gc.collect()
    gc.freeze()
