package dev.peregrine.examples;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every Java block of the README is a compiled example: it follows an {@code <!-- example: NAME -->} line and
 * is, to the character, the text between {@code // readme:NAME} and {@code // end:NAME} in the example
 * sources (indentation removed). A block without a marker, or one that drifted from its source, fails here.
 */
class ReadmeExamplesTest {

  private static final Path SOURCES = Path.of("src/test/java/dev/peregrine/examples");

  private static Map<String, String> regions() throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    Pattern start = Pattern.compile("^(\\s*)// readme:([\\w-]+)$");
    try (var files = Files.list(SOURCES)) {
      for (Path f : files.toList()) {
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
          Matcher m = start.matcher(lines.get(i));
          if (m.matches()) {
            int indent = m.group(1).length();
            StringBuilder sb = new StringBuilder();
            int j = i + 1;
            while (!lines.get(j).strip().equals("// end:" + m.group(2))) {
              String l = lines.get(j);
              sb.append(l.length() >= indent ? l.substring(indent) : l.strip()).append('\n');
              j++;
            }
            out.put(m.group(2), sb.toString());
          }
        }
      }
    }
    return out;
  }

  @Test
  void everyJavaBlockOfTheReadmeIsACompiledExample() throws Exception {
    List<String> readme = Files.readAllLines(Path.of("README.md"), StandardCharsets.UTF_8);
    Map<String, String> regions = regions();
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < readme.size(); i++) {
      if (!readme.get(i).equals("```java")) {
        continue;
      }
      String marker = i >= 2 ? readme.get(i - 1).isBlank() ? readme.get(i - 2) : readme.get(i - 1) : "";
      Matcher m = Pattern.compile("^<!-- example: ([\\w-]+) -->$").matcher(marker);
      assertThat(m.matches()).as("README line %d: a java block without <!-- example: NAME -->", i + 1).isTrue();
      StringBuilder block = new StringBuilder();
      int j = i + 1;
      while (!readme.get(j).equals("```")) {
        block.append(readme.get(j)).append('\n');
        j++;
      }
      assertThat(regions).as("example %s in the sources", m.group(1)).containsKey(m.group(1));
      assertThat(block.toString()).as("README block %s", m.group(1)).isEqualTo(regions.get(m.group(1)));
      seen.add(m.group(1));
    }
    assertThat(seen).as("every example appears in the README").containsExactlyInAnyOrderElementsOf(regions.keySet());
  }
}
