package dev.staysync.opensearch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * A single-node OpenSearch 2.19 for the local stack, started from our own main.
 *
 * <p>Why not {@code bin/opensearch}: the stock launcher refuses to run as root, and the
 * machines this project runs on are root. {@link Node} itself has no such check. The
 * distribution's {@code modules/} directory is replaced by the module plugins passed as
 * classpath plugins (same classes, loaded from Maven artifacts).
 *
 * <p>Usage: {@code java -cp 'lib/*' dev.staysync.opensearch.EmbeddedOpenSearch <home-dir> <http-port> [transport-port]}
 *
 * <p>Stops cleanly on SIGTERM/SIGINT (the shutdown hook closes the node so Lucene commits and
 * the data directory lock is released).
 */
public final class EmbeddedOpenSearch {
  /** The distribution's modules that staysync relies on. */
  static final List<Class<? extends Plugin>> MODULES =
      List.of(
          Netty4Plugin.class, // HTTP and transport
          PainlessPlugin.class, // scripts: _update_by_query, scripted updates
          CommonAnalysisPlugin.class, // standard analyzers/tokenizers beyond "standard"
          ReindexPlugin.class, // _reindex, _update_by_query, _delete_by_query
          MapperExtrasPlugin.class); // scaled_float, token_count, rank_feature, search_as_you_type

  private EmbeddedOpenSearch() {}

  /** {@link Node}'s plugin-taking constructor is protected: this subclass is the only way in. */
  static final class PluginConfigurableNode extends Node {
    PluginConfigurableNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
      super(environment, plugins, true);
    }
  }

  static Settings settings(Path home, int httpPort, String transportPort) {
    return Settings.builder()
        .put("cluster.name", "staysync-local")
        .put("node.name", "staysync-local-0")
        .put("path.home", home.toString())
        .put("path.data", home.resolve("data").toString())
        .put("path.logs", home.resolve("logs").toString())
        .put("discovery.type", "single-node")
        .put("network.host", "127.0.0.1")
        .put("http.port", httpPort)
        .put("transport.port", transportPort)
        .put("http.type", "netty4")
        .put("transport.type", "netty4")
        // A dev machine's disk is often > 90% full; the default watermarks would then make
        // every index read-only or leave shards unassigned.
        .put("cluster.routing.allocation.disk.threshold_enabled", false)
        // The stack is for tests, which create and drop many short-lived indices.
        .put("action.auto_create_index", true)
        .build();
  }

  /**
   * One node can never host a replica, so an index created with the default of 1 replica
   * turns cluster health yellow. {@code cluster.default_number_of_replicas} gives such
   * indices 0 replicas; index creation reads it from the cluster metadata only (a node
   * setting is ignored), hence a persistent cluster setting, applied before the node
   * reports itself started. The stack's readiness probe checks it is in place.
   */
  static void applyClusterDefaults(Node node) {
    node.client()
        .admin()
        .cluster()
        .prepareUpdateSettings()
        .setPersistentSettings(Settings.builder().put("cluster.default_number_of_replicas", 0))
        .get();
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: EmbeddedOpenSearch <home-dir> <http-port> [transport-port]");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    int httpPort = Integer.parseInt(args[1]);
    String transportPort = args.length > 2 ? args[2] : "9300-9400";
    Files.createDirectories(home.resolve("data"));
    Files.createDirectories(home.resolve("logs"));
    Files.createDirectories(home.resolve("config"));

    Environment environment =
        InternalSettingsPreparer.prepareEnvironment(
            settings(home, httpPort, transportPort), Map.of(), home.resolve("config"), () -> "staysync-local-0");
    Node node = new PluginConfigurableNode(environment, MODULES);

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    node.close();
                    if (!node.awaitClose(20, TimeUnit.SECONDS)) {
                      System.err.println("staysync-opensearch: node did not close within 20s");
                    }
                  } catch (Exception e) {
                    e.printStackTrace();
                  } finally {
                    System.out.println("staysync-opensearch: stopped");
                    // log4j's own shutdown hook is disabled (log4j2.properties) so the node
                    // can still log while closing; flush it last.
                    LogManager.shutdown();
                    stopped.countDown();
                  }
                },
                "staysync-opensearch-shutdown"));

    try {
      node.start();
      applyClusterDefaults(node);
    } catch (Exception e) {
      e.printStackTrace();
      System.exit(1);
    }
    System.out.println("staysync-opensearch: started http://127.0.0.1:" + httpPort);
    // Node threads are non-daemon; keep main parked until the shutdown hook has run.
    stopped.await();
  }
}
