"""Figures and reports for a lecture: the CPU-vs-GPU comparison at a glance.

One module per figure, all in one house style (:mod:`.style`: large fonts, a
colour-blind-safe palette, one fixed colour per backend, a footer naming the machine):

- :mod:`.compare_plot`: one bar per backend, split into transfers, compute and compile;
- :mod:`.sweep_plot`: time or throughput against size, crossover sizes marked;
- :mod:`.roofline_plot`: achieved GFLOP/s against arithmetic intensity under the
  machine's measured roof;
- :mod:`.counters_plot`: cache misses and IPC beside time;
- :mod:`.narrative` and :mod:`.report`: the plain-language reading and the HTML or
  Markdown report.

Figures are drawn from run records: just measured, stored (:mod:`accel.evidence`), or from
an ``accel export`` file. matplotlib (the ``plot`` extra) is imported only when a
figure is drawn.
"""
