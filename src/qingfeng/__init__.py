"""Qingfeng (清风): the conduct-improvement campaign platform of an education bureau."""

__version__ = "0.1.0"
