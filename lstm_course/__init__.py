"""lstm_course: the NumPy package behind the LSTM course."""

__version__ = "0.1.0"
