"""The Qt desktop app (PySide6 + pyqtgraph). Installed as ``gaitlab.gui``.

It only observes the core: no signal processing happens in widgets.
"""
