"""tlbench's contract suite, run on the tiny preset."""

from tlbench.testing.contracts import SystemContract
from tlbench_elmo.system import ElmoSystem


class TestElmoContract(SystemContract):
    n_train = 160
    n_test = 60
    # The tiny preset pretrains on 6000 tokens and trains 2 epochs: too small to learn; these tests check the
    # interface and every capability only; how well elmo learns is measured by bench/ (docs/elmo.md).
    min_accuracy = None
    min_multiclass_accuracy = None

    def make_system(self):
        return ElmoSystem("tiny", epochs=2, max_tokens=6000, max_len=96, cpu_threads=1)


class TestElmoCharsContract(SystemContract):
    """The same contract with ELMo's character-CNN token layer."""

    n_train = 160
    n_test = 60
    min_accuracy = None  # as above
    min_multiclass_accuracy = None

    def make_system(self):
        return ElmoSystem("tiny", tokens="chars", epochs=2, max_tokens=6000, max_len=96, cpu_threads=1)
