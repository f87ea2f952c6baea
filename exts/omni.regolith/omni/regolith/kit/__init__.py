"""The Kit layer of omni.regolith: the `[[python.module]]` Kit imports.

Kit instantiates every `omni.ext.IExt` subclass it finds in this module, so the extension class
is imported here; everything else in the package stays importable without Kit.
"""
from .extension import RegolithExtension

__all__ = ["RegolithExtension"]
