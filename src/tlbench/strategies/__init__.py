"""Generic transfer strategies: plain code over System capabilities, usable by any system that offers them."""
