package dev.ledger.api.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.http.converter.json.Jackson2ObjectMapperBuilder;

/**
 * The mapper for untrusted HTTP input. Request bodies are read as JSON trees and checked field by
 * field, so nothing is coerced: Jackson's default of truncating {@code 10.5} to {@code 10} never
 * comes into play. Duplicate keys, trailing tokens, deep nesting and long numbers are refused.
 */
@Configuration(proxyBeanMethods = false)
public class JsonConfiguration {

    /** Deeper documents are refused; no request of the contract nests more than two levels. */
    public static final int NESTING_DEPTH_MAX = 32;

    /** Longer numbers are refused; 10^15 has 16 digits. */
    public static final int NUMBER_LENGTH_MAX = 64;

    @Bean
    @Primary
    ObjectMapper objectMapper(Jackson2ObjectMapperBuilder builder) {
        ObjectMapper mapper = builder
                .serializationInclusion(JsonInclude.Include.NON_NULL)
                .featuresToEnable(
                        DeserializationFeature.FAIL_ON_TRAILING_TOKENS,
                        DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES,
                        DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
                        JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .featuresToDisable(
                        DeserializationFeature.ACCEPT_FLOAT_AS_INT,
                        SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .build();
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(NESTING_DEPTH_MAX)
                .maxNumberLength(NUMBER_LENGTH_MAX)
                .build());
        mapper.getFactory().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
        return mapper;
    }
}
