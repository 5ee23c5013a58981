"""Plan-appendix outputs: print maps (PNG at 300 dpi and PDF, A4/A3) with Chinese text."""
